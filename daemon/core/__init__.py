"""The store and the domain: everything the daemon, the console and the CLI share."""
