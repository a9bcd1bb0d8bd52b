"""Waiting lists: how big a list is, should be, and what capacity it needs.

:mod:`~workbench.analysis.queues.calculators` holds the formulas of NHSRwaitinglist
(target queue size, relief and target capacity, pressure);
:mod:`~workbench.analysis.queues.waiting_list` reads a list from its patients' dates
(size by day, demand, capacity and verdicts); :mod:`~workbench.analysis.queues.simulation`
simulates lists from random referrals and a schedule of slots.
"""
