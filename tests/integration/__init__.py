"""The service as it is deployed: its real processes, on PostgreSQL, RabbitMQ and Redis."""
