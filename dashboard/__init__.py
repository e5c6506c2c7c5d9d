"""`sdc dashboard`: the web dashboard over the masked published marts (总览, 一张图, 一企一档, 数据质量).

A small stdlib HTTP server on 127.0.0.1 (server.py) serving one HTML page with vanilla JS and SVG (static/)
and JSON read through one read-only session pinned at a publish (warehouse/reader.py, masked audience).
Every mart query is in marts.py; the departments' data quality (what arrived, what was accepted, flagged,
quarantined) in quality.py.
"""
