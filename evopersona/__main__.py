"""`python -m evopersona` runs the CLI."""

from evopersona.cli.app import main

main()
