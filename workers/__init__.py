"""Background work on Huey: the queue instance, the tasks, and the consumer entry point."""
