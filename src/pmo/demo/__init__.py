"""Realistic, deterministic demo data: three client organisations of a PMO consultancy.

``pmo.demo.generate.load_demo(seed)`` writes it; ``pmo.demo.catalogue`` holds the static
material (organisations, WBS templates by project type, names). Importing this package
does not touch the database.
"""
