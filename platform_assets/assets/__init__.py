"""Asset definitions: thin wrappers that read, call a plain transform, write and describe."""
