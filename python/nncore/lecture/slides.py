"""Which slides of the lecture each section shows, with the slides' own (German) titles.

`python -m nncore --lang de` prints these headings instead of the English ones, and each
section's sub-headlines (`Context.sub(..., de=...)`) and headline line (`Context.lead`) in
German (the numbers and tables stay as they are); docs/lecture-notes.md lists the same
mapping.
"""
from __future__ import annotations

# section key -> (German heading printed with --lang de, slide titles it belongs to)
SLIDES: dict[str, tuple[str, tuple[str, ...]]] = {
    "xor": ("Beispiel: XOR — von Hand, dann gelernt",
            ("Beispiel: XOR", "Interpretation 1: Lernen einer linear separierbaren "
             "Repräsentation", "Interpretation 1: Lernen der Logik")),
    "activations": ("Warum benötigt man die Aktivierungsfunktion? Aktivierungsfunktionen",
                    ("Warum benötigt man die Aktivierungsfunktion?", "Aktivierungsfunktionen")),
    "classification": ("Neuronale Netze: Ergebnisse — Vergleich mit linearer und logistischer "
                       "Regression",
                       ("Neuronale Netze: Ergebnisse", "Vergleich mit letzter Vorlesung: Lineare "
                        "und logistische Regression")),
    "symmetry": ("Welche Gewichte nutzen wir? Initialisierung der Gewichte vor dem Training",
                 ("Welche Gewichte nutzen wir?",)),
    "optimizers": ("Training: Gradient Descent plus Tricks — Momentum, Gradient Normalization, "
                   "Learning rate decay, Adam",
                   ("Training: Gradient Descent plus Tricks",)),
    "activation-choice": ("Aktivierungsfunktionen: Auswahl — Praktisches Vorgehen",
                          ("Aktivierungsfunktionen: Auswahl",)),
    "digits": ("Tiefe neuronale Netze: ein echter Datensatz (handgeschriebene Ziffern)",
               ("Tiefe neuronale Netze",)),
    "cost": ("Neuronale Netze: Computational cost", ("Neuronale Netze: Computational cost",)),
    "graph": ("Backpropagation durch Darstellung des computational graphs",
              ("Computational graph", "Backpropagation aus computational graph")),
    "local-minima": ("Gradient descent: Nicht konvex — viele lokale Optima",
                     ("Gradient descent",)),
    "learning-rate": ("Gradient Descent: Lernrate muss „gut“ gewählt werden",
                      ("Training: Gradient Descent plus Tricks",)),
    "momentum": ("Verbesserung: Momentum — Local Minima, Saddle points",
                 ("Training: Gradient Descent plus Tricks (Momentum, Local Minima, Saddle "
                  "points)",)),
    "chain-rule": ("Neuronale Netze: Backpropagation — die Kettenregel Faktor für Faktor",
                   ("Neuronale Netze: Backpropagation", "Backpropagation aus computational "
                    "graph: Einfaches Beispiel, Etwas komplizierter, Neuronales Netz",
                    "Kettenregel")),
    "width-depth": ("Warum mehr als ein Layer? Universal Approximation Theorem, tiefere Netze",
                    ("Warum mehr als ein Layer?",)),
    "activation-costs": ("Aktivierungsfunktionen: Probleme — Sättigung, Zentrierung, tote "
                         "ReLUs, exp()",
                         ("Aktivierungsfunktionen: Sigmoid", "… Tangens hyperbolicus (Tanh)",
                          "… Leaky ReLU", "… Exponential Linear Unit")),
    "feature-space": ("Representation learning: Input space → Feature space",
                      ("Allgemeiner: Representation Learning", "Zusammenfassung")),
    "alternatives": ("Sollten wir immer Backpropagation nutzen?",
                     ("Sollten wir immer Backpropagation nutzen?",)),
    "dropout": ("Dropout: die Overfitting-Kurve mit und ohne",
                ("nicht auf den Folien (Regularisierung neben dem L2-Strafterm)",)),
}

BANNER_DE = ("nncore — die Vorlesung „Neuronale Netze, Backpropagation“ (Vorlesung 5), "
             "zum Ausführen")
SUMMARY_DE = "Zusammenfassung"
LANGUAGES = ("en", "de")
