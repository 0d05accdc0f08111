"""The model and a course's facts → answers: eligibility (``runtime``), price (``quote``), the ``Book`` over both."""
