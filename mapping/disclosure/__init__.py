"""Disclosure control: the suppression rules, the cross-table audit, the class-band audit."""
