"""The Typer command-line interface: parse flags, call the core, render. Nothing else."""
