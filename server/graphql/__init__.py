"""The GraphQL API: Strawberry types and thin resolvers over the domain services."""
