"""Several Asterisk servers behind one daemon (issue 14): each PBX is a :class:`Pbx`
with its own AMI client and file readers, started and stopped on its own; the
:class:`PbxPool` picks where an originate goes."""
