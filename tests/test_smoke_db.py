from server.models import Organization


async def test_database_round_trip(db: str) -> None:
    org = await Organization.create(name="Acme", plan="business")
    assert (await Organization.get(id=org.id)).name == "Acme"
    assert await Organization.all().count() == 1
