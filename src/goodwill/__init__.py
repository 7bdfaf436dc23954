"""Goodwill: a relationship-commerce engine.

Remember every customer as a relationship, measure its health, and act at the right moment.
"""

__version__ = "0.1.0"
