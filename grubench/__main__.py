from grubench.cli import main

main()
