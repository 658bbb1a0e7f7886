"""The HTML report and publication tables of a study's results.

``render`` (the template context and the self-contained page), ``figures`` (the plotly figures), ``tables``
(``eventstudy table``: LaTeX and Markdown tables) and ``templates/`` (the Jinja2 templates of the page).
"""
