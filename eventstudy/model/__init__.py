"""Normal returns and abnormal returns: the estimation window, the normal-return model and the engine.

``estimation`` (the normal equations, running sums, α/β, σ², an abnormal return and its variance — the only place
they are defined), ``normal_return`` (design rows of each model, Scholes–Williams and Dimson betas), ``engine``
(gathering the returns of firm-events from a returns panel and fitting them, :func:`abnormal_returns`) and
``abnormal`` (the results object, :class:`AbnormalReturns`: CAR and BHAR over any window).
"""
