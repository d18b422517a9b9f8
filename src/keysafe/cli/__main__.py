from keysafe.cli import main

main()
