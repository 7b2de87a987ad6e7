"""`ledgersync bench ...`: throughput and latency of the invoice pipeline, and of a bare-library
baseline doing the same round trip, each in a database and RabbitMQ vhost of its own."""
