"""`python -m kjob`: the same CLI as the `kjob` command."""

from kjob.cli import main

if __name__ == "__main__":
    main(prog_name="kjob")
