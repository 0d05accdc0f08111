"""The model and a course's facts → answers: one evaluation (``course``) with two views, eligibility (``runtime``)
and price (``quote``); the ``Book`` (``book``) is the facade that picks the revision and evaluates."""
