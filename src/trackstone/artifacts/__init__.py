"""Artifact repositories: files logged by runs, confined to their roots."""
