"""Blueprints of the judging side: the judges' pages and the secretariat's judging pages."""
