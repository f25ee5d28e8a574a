"""``python -m rnntool`` entry point."""

from rnntool.cli.main import main

if __name__ == "__main__":
    main()
