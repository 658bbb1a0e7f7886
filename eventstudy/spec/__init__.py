"""The study file: what a researcher writes down before any price is read.

``config`` (the study, its events, firms, windows and model, from YAML), ``fields`` (typed fields whose errors
name the file, field and value), ``yaml_safe`` (YAML read without timestamps, duplicate keys or alias bombs),
``events_table`` (events given as a CSV table), ``exchanges`` (exchange names, ticker suffixes, day-0 rules) and
``template`` (the commented study file ``eventstudy init`` writes). Nothing here reads prices.
"""
