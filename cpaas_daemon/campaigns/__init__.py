"""Campaign manager: lists, contacts, DND lists, CSV import, and the paced dialer."""
