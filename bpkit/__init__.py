"""bpkit."""
