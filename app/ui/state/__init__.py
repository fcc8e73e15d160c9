"""The UI's state: what each browser tab sees, computed on the server from the services."""
