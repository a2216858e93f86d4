"""Word lists of the national address generator (``addresses.py``): département seats, toponymic
parts of commune names, the street names that recur in thousands of French communes, lieux-dits.

Plain data, no logic. The real BAN Paris street vocabulary is read from the shared data at run
time (``addresses.paris_streets``); these lists add what Paris lacks: village streets and places.
"""
from __future__ import annotations

#: metropolitan département -> (lat, lon) of its prefecture (approximate, to ~1 km), communes cluster around it
DEPARTEMENT_SEATS: dict[str, tuple[float, float]] = {
    "01": (46.20, 5.22), "02": (49.56, 3.62), "03": (46.57, 3.33), "04": (44.09, 6.24), "05": (44.56, 6.08),
    "06": (43.70, 7.27), "07": (44.74, 4.60), "08": (49.77, 4.72), "09": (42.97, 1.61), "10": (48.30, 4.08),
    "11": (43.21, 2.35), "12": (44.35, 2.57), "13": (43.30, 5.37), "14": (49.18, -0.37), "15": (44.93, 2.44),
    "16": (45.65, 0.16), "17": (46.16, -1.15), "18": (47.08, 2.40), "19": (45.27, 1.77), "2A": (41.93, 8.74),
    "2B": (42.70, 9.45), "21": (47.32, 5.04), "22": (48.51, -2.76), "23": (46.17, 1.87), "24": (45.18, 0.72),
    "25": (47.24, 6.02), "26": (44.93, 4.89), "27": (49.02, 1.15), "28": (48.45, 1.49), "29": (48.00, -4.10),
    "30": (43.84, 4.36), "31": (43.60, 1.44), "32": (43.65, 0.59), "33": (44.84, -0.58), "34": (43.61, 3.88),
    "35": (48.11, -1.68), "36": (46.81, 1.69), "37": (47.39, 0.69), "38": (45.19, 5.72), "39": (46.67, 5.55),
    "40": (43.89, -0.50), "41": (47.59, 1.33), "42": (45.44, 4.39), "43": (45.04, 3.88), "44": (47.22, -1.55),
    "45": (47.90, 1.91), "46": (44.45, 1.44), "47": (44.20, 0.62), "48": (44.52, 3.50), "49": (47.47, -0.55),
    "50": (49.12, -1.09), "51": (48.96, 4.36), "52": (48.11, 5.14), "53": (48.07, -0.77), "54": (48.69, 6.18),
    "55": (48.77, 5.16), "56": (47.66, -2.76), "57": (49.12, 6.18), "58": (46.99, 3.16), "59": (50.63, 3.06),
    "60": (49.43, 2.08), "61": (48.43, 0.09), "62": (50.29, 2.78), "63": (45.78, 3.08), "64": (43.30, -0.37),
    "65": (43.23, 0.08), "66": (42.70, 2.90), "67": (48.58, 7.75), "68": (48.08, 7.36), "69": (45.76, 4.84),
    "70": (47.62, 6.15), "71": (46.31, 4.83), "72": (48.00, 0.20), "73": (45.57, 5.92), "74": (45.90, 6.13),
    "75": (48.86, 2.35), "76": (49.44, 1.10), "77": (48.54, 2.66), "78": (48.80, 2.13), "79": (46.32, -0.46),
    "80": (49.89, 2.30), "81": (43.93, 2.15), "82": (44.02, 1.35), "83": (43.12, 5.93), "84": (43.95, 4.81),
    "85": (46.67, -1.43), "86": (46.58, 0.34), "87": (45.83, 1.26), "88": (48.17, 6.45), "89": (47.80, 3.57),
    "90": (47.64, 6.86), "91": (48.63, 2.44), "92": (48.89, 2.21), "93": (48.91, 2.44), "94": (48.79, 2.46),
    "95": (49.04, 2.08),
}

#: saints of commune names, most frequent first ("Saint-Martin" is the most common French commune name)
SAINTS = ("Martin", "Jean", "Pierre", "Germain", "Laurent", "Hilaire", "Aubin", "Georges", "Julien", "Denis",
          "Maurice", "Vincent", "Nicolas", "Sulpice", "Michel", "Étienne", "Cyr", "Rémy", "Sauveur", "Médard",
          "Christophe", "Amand", "Paul", "Symphorien", "Léger", "Genès", "Didier", "Victor", "Ouen", "Loup",
          "Jacques", "André", "Florent", "Priest", "Bonnet", "Vaast", "Brice", "Gervais", "Saturnin", "Romain")
SAINTES = ("Marie", "Colombe", "Foy", "Croix", "Marguerite", "Radegonde", "Eulalie", "Geneviève", "Anne", "Gemme")
#: stems of commune names ("Villeneuve", "Beaumont", "Fontaine" ...)
STEMS = ("Villeneuve", "Beaumont", "Montigny", "Fontaine", "Neuville", "Châteauneuf", "Villiers", "Mesnil",
         "Bourg", "Champagne", "Marcilly", "Chapelle", "Vernon", "Bois", "Roche", "Mont", "Vaux", "Arcy",
         "Belleville", "Boissy", "Chaumont", "Clermont", "Courcelles", "Dampierre", "Ferrières", "Givry",
         "Jouy", "Lusigny", "Magny", "Marly", "Mézières", "Montreuil", "Noisy", "Orval", "Pouilly", "Rochefort",
         "Sablé", "Sully", "Thorigny", "Vouzon", "Brienne", "Cernay", "Aubigny", "Bréval", "Charmes", "Essarts",
         "Favières", "Germigny", "Lignières", "Mareuil", "Nogent", "Saulx", "Tilly", "Verneuil", "Andilly",
         "Bazoches", "Chambly", "Crécy", "Épinay", "Gournay", "Houdan", "Ivry", "Limours", "Mortagne", "Nanteuil")
#: endings glued to a stem root ("Marcillac", "Haguenau" ...)
ROOTS = ("Aub", "Bar", "Bel", "Berg", "Blan", "Bon", "Brou", "Cam", "Cas", "Cha", "Cour", "Dom", "Es", "Fla",
         "Gran", "Hau", "Jar", "Lan", "Lou", "Mar", "Mon", "Neu", "Or", "Pla", "Pon", "Quin", "Ros", "Sau",
         "Ser", "Tal", "Tour", "Val", "Ver", "Vil", "Wal", "Beu", "Char", "Fon", "Gui", "Ker", "Lor", "Mer")
#: syllables between a root and its ending ("Mar" + "ig" + "nac")
MIDDLES = ("", "", "", "er", "ig", "an", "ol", "ev", "in", "at", "ur", "es", "ou", "il", "em", "ar")
ENDINGS = ("ac", "ay", "ville", "court", "heim", "ange", "y", "ieux", "ans", "euil", "argues", "ignac", "ourt",
           "ois", "elle", "an", "ières", "ec", "ou", "oz", "hem", "stein", "dorf", "iers", "ard", "on", "ignan")
ARTICLES = ("Le", "La", "Les", "L'")
#: qualifiers: "-sur-Loire", "-en-Brie", "-le-Château" ...
RIVERS = ("Loire", "Seine", "Marne", "Oise", "Saône", "Rhône", "Garonne", "Dordogne", "Aisne", "Meuse",
          "Moselle", "Yonne", "Cher", "Indre", "Vienne", "Sarthe", "Mer", "Lot", "Tarn", "Aube", "Ain", "Orne")
REGIONS = ("Brie", "Bresse", "Beauce", "Vexin", "Auge", "Caux", "Gâtinais", "Morvan", "Quercy", "Velay",
           "Argonne", "Woëvre", "Champagne", "Forez", "Vercors", "Bray", "Perche", "Sologne")
TAILS = ("le-Château", "le-Grand", "le-Petit", "les-Bains", "la-Forêt", "le-Vieux", "aux-Bois", "la-Rivière",
         "les-Vignes", "le-Haut", "la-Ville", "des-Champs", "du-Bois", "de-Bretagne")

#: names found in thousands of communes, most frequent first (Rue de l'Église, Grande Rue, Rue de la Gare ...)
RECURRING_STREETS = (
    "Rue de l'Église", "Grande Rue", "Place de l'Église", "Rue de la Mairie", "Rue du Moulin", "Rue de la Gare",
    "Rue des Écoles", "Chemin du Moulin", "Rue du Château", "Rue Principale", "Place de la Mairie",
    "Rue de la Fontaine", "Rue du Stade", "Rue des Jardins", "Rue Victor Hugo", "Rue Pasteur",
    "Rue Jean Jaurès", "Impasse des Lilas", "Allée des Tilleuls", "Rue du Lavoir", "Rue des Vignes",
    "Chemin des Vignes", "Place du Général de Gaulle", "Avenue de la Gare", "Rue du Four", "Rue de la Forge",
    "Rue du Pont", "Rue Neuve", "Rue Haute", "Rue Basse", "Impasse du Moulin", "Rue des Prés",
    "Rue des Champs", "Rue du Cimetière", "Rue de la Poste", "Rue de la Paix", "Rue des Rosiers",
    "Rue des Acacias", "Allée des Chênes", "Rue du Bourg", "Route Nationale", "Rue de la Libération",
    "Place du Marché", "Rue du Commerce", "Rue des Peupliers", "Rue de Verdun", "Rue Gambetta", "Rue Carnot",
    "Rue Jules Ferry", "Rue Émile Zola", "Rue Anatole France", "Rue Georges Clemenceau", "Rue du Général Leclerc",
    "Rue de la Croix", "Chemin de la Croix", "Rue du Puits", "Rue des Vergers", "Rue du 8 Mai 1945",
    "Rue du 11 Novembre", "Avenue de la République", "Rue de la République", "Avenue Jean Jaurès",
    "Rue des Tilleuls", "Chemin des Écoliers", "Rue des Marronniers", "Rue du Presbytère", "Impasse des Roses",
    "Rue des Sports", "Chemin du Stade", "Rue de la Chapelle", "Rue du Calvaire", "Chemin de la Fontaine",
    "Rue des Noyers", "Rue des Sources", "Rue du Parc", "Allée des Érables", "Rue des Bleuets",
    "Impasse des Jardins", "Rue des Mésanges", "Rue des Alouettes", "Rue du Paradis", "Rue de la Vallée",
    "Rue des Coquelicots", "Rue de la Rivière", "Rue du Ruisseau", "Chemin des Prés", "Rue des Hirondelles",
    "Rue du Bois", "Chemin du Bois", "Rue de la Plaine", "Rue du Centre", "Place de la République",
    "Rue Nationale", "Route de la Gare", "Rue de la Forêt", "Rue des Genêts", "Rue de la Liberté",
    "Rue Louis Pasteur", "Rue Charles de Gaulle", "Rue du Maréchal Foch", "Rue Jean Moulin", "Rue Voltaire",
    "Rue de Lattre de Tassigny", "Allée des Peupliers", "Impasse des Acacias", "Chemin Rural",
    "Rue des Lilas", "Rue des Fleurs", "Rue de la Prairie", "Rue du Vieux Moulin", "Sentier des Vignes",
)
#: street types of "Route de <commune>" style names built from a neighbouring commune
TOWARDS = ("Route de", "Chemin de", "Rue de", "Avenue de")
#: lieux-dits: named places without a street type
LIEUX_DITS = (
    "Le Bourg", "La Croix Blanche", "Les Grands Champs", "Le Moulin Neuf", "La Métairie", "Les Bruyères",
    "Le Haut du Bois", "La Ferme", "Les Granges", "Le Pré Long", "La Vigne", "Les Terres Rouges", "Le Chêne",
    "La Garenne", "Les Hauts", "Le Clos", "La Borde", "Les Noues", "Le Plessis", "La Maladrerie", "Les Fosses",
    "Le Coudray", "La Rochette", "Les Aulnaies", "Le Buisson", "La Motte", "Les Ormes", "Le Champ du Puits",
    "La Grange aux Bois", "Les Longues Raies", "Le Val", "La Source", "Les Basses Terres", "Le Mont", "La Lande",
    "Les Sablons", "Le Fief", "La Bergerie", "Les Communaux", "Le Grand Pré", "Hameau de la Forêt",
    "Lotissement les Peupliers", "Résidence du Parc", "Hameau du Moulin", "Les Cités", "La Tuilerie",
)
#: BAN ``rep`` values (suffixes) and their weights among suffixed addresses
SUFFIXES = ("bis", "b", "ter", "t", "a", "c", "quater", "q", "d", "s1", "p1")
SUFFIX_WEIGHTS = (0.40, 0.22, 0.12, 0.05, 0.09, 0.03, 0.02, 0.02, 0.02, 0.02, 0.01)
#: BAN ``type_position`` values and weights
POSITIONS = ("entrée", "parcelle", "bâtiment", "segment", "logement", "service technique")
POSITION_WEIGHTS = (0.55, 0.25, 0.1, 0.07, 0.02, 0.01)
