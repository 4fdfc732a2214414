"""What every part of the service shares: settings, database, broker, processes, errors, logs and limits."""
