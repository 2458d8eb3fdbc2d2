// Entry point placeholder: the CLI (System.CommandLine) replaces this.
return 0;
