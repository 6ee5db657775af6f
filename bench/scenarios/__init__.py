"""One module per scenario; each has `async def run(size: Size) -> list[Figure]`."""
