from . import export, portal
