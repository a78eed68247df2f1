"""The `tuitrack` command: its sub-commands, listings, plots, the demo and the MLflow
importer."""
