"""`python -m build_leaflets` runs the same command line as `build-leaflets`."""

from build_leaflets.cli import main

main()
