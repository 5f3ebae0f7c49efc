"""The project's shared package: event contracts, topic names, the CloudEvents envelope,
observability setup and the Mongo/Kafka chassis. It holds no business rules."""
