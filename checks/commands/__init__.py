"""One module per subcommand; see checks/cli.py for the protocol."""
