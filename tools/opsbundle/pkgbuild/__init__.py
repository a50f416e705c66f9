"""Building rpm and deb packages of OpenStack projects from a site's own source
(interfaces/package-build/v2): versions, the per-project build plan, and one
driver per package family that runs the distribution's own build tool."""

INTERFACE = "package-build/v2"
