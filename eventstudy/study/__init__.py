"""The analysis of one study, the stage that ``eventstudy.run``, ``eventstudy run`` and ``eventstudy rebuild`` all call.

``plan`` (day 0 per exchange, market groups, the prices to load), ``analysis`` (load, estimate, test, evaluate
the claims: :func:`analyse_study`), ``results`` (:class:`StudyResults`, what it produced), ``summary`` (the
headline), ``cross_section`` (the regression of CARs on firm characteristics), ``markets`` (firm-events grouped by
calendar and benchmark) and ``coverage`` (which sessions each CAR covers, benchmark gaps).
"""
