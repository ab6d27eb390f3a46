import sys
from pathlib import Path

# Let test modules import the shared helpers in this folder (e.g. notebook_outputs).
sys.path.insert(0, str(Path(__file__).resolve().parent))
