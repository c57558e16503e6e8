"""Index generations on disk: documents, manifest and checksums, the build that writes a generation
and switches to it atomically, what a rebuild takes over unchanged, and adding files to the archive."""
