"""Infrastructure with no knowledge of the domain: nothing here imports the project."""
