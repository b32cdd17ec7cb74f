"""The audit questions: trends, lifecycles, needle finds, venues, funnel plots, demographic breakdowns."""
