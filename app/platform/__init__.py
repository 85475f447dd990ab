"""Platform services over the models: the outbox, in-app notifications, the audit log, the job
queue and the periodic sweep's registry."""
