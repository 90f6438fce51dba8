"""Objects in collections: adding versions, reading them back, presenting them
to a reader, import and export."""
