"""Small named helpers shared by every context: money, clock, identity normalisation."""
