"""Registers of courses → settlement: invoices per municipality and quarter, rejected rows, activity."""
