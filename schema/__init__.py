"""The GraphQL schema: Strawberry types, one module per domain; ``schema.build`` assembles them."""
