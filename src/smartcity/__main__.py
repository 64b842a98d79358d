from smartcity.cli import main

main()
