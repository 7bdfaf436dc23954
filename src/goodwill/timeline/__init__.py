"""The timeline: one append-only interaction per touch."""
