FAMILY = "deb"
TOOLS = ("dpkg-buildpackage",)
PACKAGES = ("dpkg-dev",)
