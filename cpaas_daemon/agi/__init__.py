"""FastAGI: the hooks Asterisk's dialplan (asterisk/extensions_cpaas.conf) calls."""
