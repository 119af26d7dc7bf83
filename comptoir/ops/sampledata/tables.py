"""The raw material of the sample data: a French épicerie-bazar's shelves, suppliers and people.

Plain tables, no logic. Prices are in euros incl. VAT as shown on the shelf; ``kg``
marks goods sold by weight (price per kilogram).
"""

from __future__ import annotations

from typing import NamedTuple


class Shelf(NamedTuple):
    prefix: str
    name: str
    vat_rate: str
    suppliers: tuple[int, ...]
    items: tuple[tuple[str, str, str], ...]  # (name, price in euros, unit)


P, KG, L = "piece", "kg", "l"

# fmt: off
SHELVES: tuple[Shelf, ...] = (
    Shelf("FL", "Fruits et légumes", "5.5", (0, 1), (
        ("Pommes Golden", "2.49", KG), ("Pommes Gala", "2.79", KG),
        ("Poires Conférence", "3.20", KG), ("Bananes", "1.99", KG), ("Oranges à jus", "2.30", KG),
        ("Clémentines", "3.49", KG), ("Citrons jaunes", "3.90", KG),
        ("Tomates grappe", "3.99", KG), ("Carottes", "1.49", KG),
        ("Pommes de terre Charlotte", "1.89", KG), ("Oignons jaunes", "1.79", KG),
        ("Courgettes", "2.99", KG), ("Poireaux", "2.49", KG), ("Champignons de Paris", "5.90", KG),
        ("Salade batavia", "1.20", P), ("Avocat", "0.99", P), ("Concombre", "0.89", P),
        ("Ail violet (tête)", "0.80", P), ("Persil plat (botte)", "1.10", P),
        ("Kiwis", "4.50", KG), ("Raisin blanc", "4.99", KG), ("Échalotes", "4.20", KG),
        ("Poivrons rouges", "4.80", KG), ("Radis (botte)", "1.30", P), ("Mangue", "1.99", P),
    )),
    Shelf("BO", "Boulangerie", "5.5", (2,), (
        ("Baguette tradition", "1.30", P), ("Baguette", "1.05", P),
        ("Pain de campagne 400 g", "2.60", P), ("Pain complet 500 g", "2.90", P),
        ("Croissant", "1.15", P), ("Pain au chocolat", "1.25", P), ("Pain aux raisins", "1.45", P),
        ("Chausson aux pommes", "1.60", P), ("Brioche tressée 400 g", "3.40", P),
        ("Pain de mie 500 g", "1.95", P), ("Ficelle", "0.90", P),
        ("Fougasse aux olives", "2.80", P), ("Madeleines x12", "3.10", P),
        ("Cookies x6", "3.50", P), ("Galette des rois 6 parts", "14.90", P),
        ("Flan pâtissier (part)", "2.40", P), ("Tarte aux pommes 6 parts", "11.50", P),
        ("Éclair au chocolat", "2.30", P), ("Pain aux céréales 400 g", "2.95", P),
        ("Biscottes x36", "1.85", P), ("Pain d'épices 300 g", "2.70", P),
        ("Chouquettes x10", "2.20", P), ("Brioche au sucre", "1.10", P),
        ("Pain sans gluten 300 g", "4.20", P), ("Kouign-amann", "2.90", P),
    )),
    Shelf("CR", "Crèmerie et fromages", "5.5", (3, 4), (
        ("Lait demi-écrémé 1 L", "1.09", P), ("Lait entier bio 1 L", "1.45", P),
        ("Beurre doux 250 g", "2.65", P), ("Beurre demi-sel 250 g", "2.75", P),
        ("Crème fraîche épaisse 20 cl", "1.60", P), ("Yaourts nature x4", "1.35", P),
        ("Yaourts aux fruits x8", "2.95", P), ("Fromage blanc 500 g", "1.89", P),
        ("Œufs plein air x6", "2.35", P), ("Œufs bio x12", "4.90", P),
        ("Comté 18 mois", "24.90", KG), ("Emmental râpé 200 g", "2.29", P),
        ("Camembert de Normandie", "3.20", P), ("Roquefort", "29.50", KG),
        ("Brie de Meaux", "19.90", KG), ("Chèvre frais 150 g", "2.80", P),
        ("Tomme de Savoie", "18.50", KG), ("Mozzarella 125 g", "1.25", P),
        ("Crème dessert chocolat x4", "1.99", P), ("Beurre doux 500 g", "4.99", P),
        ("Raclette", "16.90", KG), ("Petits-suisses x6", "1.70", P), ("Reblochon", "6.50", P),
        ("Feta 200 g", "2.60", P), ("Riz au lait x4", "2.40", P),
    )),
    Shelf("ES", "Épicerie salée", "5.5", (5, 6), (
        ("Spaghetti 500 g", "1.19", P), ("Coquillettes 500 g", "1.09", P),
        ("Penne rigate 500 g", "1.25", P), ("Riz basmati 1 kg", "2.95", P),
        ("Riz long grain 1 kg", "1.79", P), ("Farine de blé T55 1 kg", "1.15", P),
        ("Huile d'olive vierge extra 75 cl", "8.90", P), ("Huile de tournesol 1 L", "2.49", P),
        ("Vinaigre de vin 50 cl", "1.40", P), ("Moutarde de Dijon 370 g", "2.10", P),
        ("Sel fin 1 kg", "0.75", P), ("Poivre noir moulu 50 g", "2.30", P),
        ("Sauce tomate basilic 400 g", "1.65", P), ("Thon au naturel 140 g", "2.45", P),
        ("Sardines à l'huile 115 g", "1.95", P), ("Lentilles vertes 500 g", "1.99", P),
        ("Pois chiches 400 g", "0.99", P), ("Haricots verts extra-fins 400 g", "1.69", P),
        ("Maïs doux 300 g", "1.05", P), ("Cassoulet 840 g", "4.50", P),
        ("Soupe de légumes 1 L", "2.25", P), ("Chips nature 150 g", "1.49", P),
        ("Olives vertes 200 g", "2.20", P), ("Cornichons 370 g", "2.35", P),
        ("Bouillon de volaille x10", "1.80", P), ("Couscous moyen 1 kg", "2.10", P),
    )),
    Shelf("SU", "Épicerie sucrée", "5.5", (5, 7), (
        ("Sucre en poudre 1 kg", "1.25", P), ("Sucre en morceaux 1 kg", "1.69", P),
        ("Confiture de fraises 370 g", "2.60", P), ("Confiture d'abricots 370 g", "2.60", P),
        ("Miel de fleurs 500 g", "6.90", P), ("Chocolat noir 70 % 100 g", "1.95", P),
        ("Chocolat au lait 100 g", "1.59", P), ("Pâte à tartiner 400 g", "3.45", P),
        ("Café moulu 250 g", "3.95", P), ("Café en grains 1 kg", "13.90", P),
        ("Thé vert 25 sachets", "2.40", P), ("Infusion verveine 20 sachets", "2.10", P),
        ("Biscuits petit-beurre 200 g", "1.35", P), ("Galettes bretonnes 125 g", "2.15", P),
        ("Céréales au chocolat 375 g", "3.20", P), ("Muesli aux fruits 500 g", "3.60", P),
        ("Compote pomme x4", "1.90", P), ("Cacao en poudre 400 g", "3.85", P),
        ("Bonbons assortis 250 g", "2.50", P), ("Crêpes x6", "2.30", P),
        ("Chocolat en poudre 800 g", "4.20", P), ("Sirop de grenadine 75 cl", "2.35", P),
        ("Caramels au beurre salé 150 g", "3.30", P), ("Pruneaux d'Agen 500 g", "5.40", P),
    )),
    Shelf("BS", "Boissons sans alcool", "5.5", (8,), (
        ("Eau minérale 1,5 L", "0.55", P), ("Eau minérale x6 1,5 L", "2.95", P),
        ("Eau gazeuse 1 L", "0.89", P), ("Jus d'orange 1 L", "2.15", P),
        ("Jus de pomme 1 L", "1.85", P), ("Cola 1,5 L", "1.99", P), ("Cola zéro 33 cl", "0.95", P),
        ("Limonade 1,5 L", "1.20", P), ("Thé glacé pêche 1,5 L", "1.79", P),
        ("Nectar d'abricot 1 L", "1.95", P), ("Boisson énergisante 25 cl", "1.49", P),
        ("Sirop de menthe 75 cl", "2.35", P), ("Jus multifruits 1 L", "1.75", P),
        ("Eau aromatisée citron 1 L", "1.10", P), ("Orangina 1,5 L", "2.29", P),
        ("Lait de coco 40 cl", "1.65", P), ("Boisson avoine 1 L", "1.89", P),
        ("Jus de raisin 1 L", "2.05", P), ("Tonic 1 L", "1.45", P),
        ("Smoothie mangue 75 cl", "3.40", P), ("Eau de source 50 cl", "0.40", P),
        ("Citronnade 1 L", "2.10", P),
    )),
    Shelf("VS", "Vins, bières et spiritueux", "20", (9, 10), (
        ("Côtes-du-Rhône rouge 75 cl", "5.90", P), ("Bordeaux supérieur 75 cl", "7.50", P),
        ("Muscadet sur lie 75 cl", "6.20", P), ("Rosé de Provence 75 cl", "8.40", P),
        ("Champagne brut 75 cl", "24.90", P), ("Crémant d'Alsace 75 cl", "10.90", P),
        ("Bière blonde x6 25 cl", "4.95", P), ("Bière blanche 33 cl", "1.60", P),
        ("Bière ambrée 75 cl", "3.90", P), ("Cidre brut 75 cl", "3.20", P),
        ("Pastis 70 cl", "19.90", P), ("Whisky 70 cl", "22.50", P),
        ("Rhum ambré 70 cl", "18.90", P), ("Calvados 70 cl", "27.00", P),
        ("Vin rouge en cubi 3 L", "13.50", P), ("Beaujolais 75 cl", "6.90", P),
        ("Sauternes 37,5 cl", "15.90", P), ("Kir cassis 70 cl", "9.90", P),
        ("Vodka 70 cl", "16.50", P), ("Pineau des Charentes 75 cl", "12.90", P),
        ("Bière sans alcool 33 cl", "1.40", P), ("Chablis 75 cl", "14.50", P),
        ("Porto rouge 75 cl", "11.90", P),
    )),
    Shelf("SG", "Surgelés", "5.5", (11,), (
        ("Petits pois 1 kg", "2.60", P), ("Haricots verts 1 kg", "2.90", P),
        ("Épinards hachés 1 kg", "2.40", P), ("Frites 1 kg", "2.20", P),
        ("Pizza margherita 400 g", "3.10", P), ("Pizza 4 fromages 400 g", "3.40", P),
        ("Poêlée de légumes 750 g", "2.95", P), ("Filets de colin 400 g", "5.90", P),
        ("Crevettes cuites 300 g", "7.50", P), ("Glace vanille 1 L", "3.95", P),
        ("Bâtonnets glacés x6", "4.30", P), ("Steaks hachés 5 % x4", "5.80", P),
        ("Nuggets de poulet 400 g", "4.20", P), ("Framboises 300 g", "4.60", P),
        ("Lasagnes bolognaise 1 kg", "5.50", P), ("Croissants à cuire x10", "4.90", P),
        ("Sorbet citron 750 ml", "4.10", P), ("Hachis parmentier 1 kg", "5.20", P),
        ("Poisson pané x10", "4.40", P), ("Mélange forestier 600 g", "4.80", P),
        ("Bûche glacée", "9.90", P),
    )),
    Shelf("HB", "Hygiène et beauté", "20", (12,), (
        ("Savon de Marseille 300 g", "2.90", P), ("Gel douche 250 ml", "2.40", P),
        ("Shampooing cheveux normaux 250 ml", "3.20", P), ("Dentifrice menthe 75 ml", "1.95", P),
        ("Brosse à dents souple", "1.60", P), ("Déodorant bille 50 ml", "2.85", P),
        ("Papier toilette x12", "5.40", P), ("Mouchoirs x10 paquets", "1.90", P),
        ("Coton-tiges x200", "1.35", P), ("Crème hydratante 200 ml", "4.90", P),
        ("Rasoirs jetables x5", "3.60", P), ("Mousse à raser 200 ml", "2.70", P),
        ("Serviettes hygiéniques x14", "2.95", P), ("Lingettes bébé x72", "2.50", P),
        ("Baume à lèvres", "2.10", P), ("Crème solaire SPF 50 200 ml", "11.90", P),
        ("Coton démaquillant x80", "1.70", P), ("Bain de bouche 500 ml", "3.90", P),
        ("Pansements x20", "2.60", P), ("Gel hydroalcoolique 100 ml", "1.99", P),
        ("Peigne", "1.20", P),
    )),
    Shelf("EN", "Entretien", "20", (12, 13), (
        ("Liquide vaisselle 500 ml", "1.65", P), ("Lessive liquide 2 L", "8.90", P),
        ("Tablettes lave-vaisselle x30", "7.40", P), ("Éponges grattantes x3", "1.50", P),
        ("Sacs poubelle 30 L x20", "2.30", P), ("Sacs poubelle 100 L x10", "3.90", P),
        ("Essuie-tout x2", "2.60", P), ("Nettoyant multi-usages 750 ml", "2.85", P),
        ("Eau de Javel 1 L", "1.20", P), ("Vinaigre ménager 1 L", "1.45", P),
        ("Bicarbonate de soude 500 g", "2.40", P), ("Savon noir 1 L", "4.50", P),
        ("Adoucissant 1,5 L", "3.60", P), ("Pierre d'argile 300 g", "4.90", P),
        ("Gants de ménage", "1.90", P), ("Serpillière", "2.20", P),
        ("Lave-vitres 500 ml", "2.70", P), ("Désodorisant 300 ml", "2.95", P),
        ("Papier aluminium 20 m", "2.10", P), ("Film étirable 30 m", "1.80", P),
        ("Sacs congélation x50", "1.95", P), ("Détartrant WC 750 ml", "2.25", P),
    )),
    Shelf("BZ", "Bazar et maison", "20", (13, 14), (
        ("Piles AA x4", "4.90", P), ("Piles AAA x4", "4.90", P), ("Ampoule LED E27", "3.50", P),
        ("Ampoule LED GU10", "3.90", P), ("Bougies chauffe-plat x30", "3.20", P),
        ("Allumettes x10 boîtes", "1.50", P), ("Briquet", "1.20", P), ("Ruban adhésif", "1.40", P),
        ("Cahier grands carreaux 96 p.", "1.90", P), ("Stylo bille bleu x4", "2.20", P),
        ("Enveloppes x50", "3.10", P), ("Ficelle de cuisine 50 m", "2.40", P),
        ("Torchons x3", "6.90", P), ("Rallonge 3 prises", "9.90", P), ("Cadenas", "5.50", P),
        ("Parapluie pliant", "12.90", P), ("Bouilloire électrique", "19.90", P),
        ("Tire-bouchon", "4.50", P), ("Épingles à linge x24", "2.60", P),
        ("Verres à eau x6", "7.90", P), ("Boîte hermétique 1 L", "3.80", P),
        ("Cintres x5", "3.30", P), ("Lampe de poche LED", "8.50", P),
        ("Mètre ruban 3 m", "3.90", P), ("Bloc-notes", "1.60", P),
    )),
    Shelf("TR", "Snacking et traiteur", "10", (2, 6), (
        ("Sandwich jambon-beurre", "4.20", P), ("Sandwich poulet crudités", "4.90", P),
        ("Salade César", "5.90", P), ("Quiche lorraine (part)", "3.50", P),
        ("Croque-monsieur", "3.90", P), ("Wrap végétarien", "4.60", P),
        ("Taboulé 300 g", "3.20", P), ("Café à emporter", "1.50", P),
        ("Thé à emporter", "1.60", P), ("Soupe du jour", "3.80", P),
        ("Plat du jour à emporter", "9.50", P), ("Panini mozzarella", "4.80", P),
        ("Salade de fruits frais", "3.60", P), ("Formule déjeuner", "10.90", P),
        ("Chocolat chaud à emporter", "2.20", P), ("Pan bagnat", "5.20", P),
        ("Olives marinées", "19.90", KG), ("Carottes râpées", "9.90", KG),
        ("Jambon blanc à la coupe", "18.90", KG), ("Saucisson sec", "21.50", KG),
        ("Rillettes du Mans", "16.80", KG), ("Pâté de campagne", "14.90", KG),
        ("Poulet rôti", "9.90", P), ("Houmous 200 g", "2.70", P),
    )),
)

# (qualifier, price factor) of the variants added once every shelf item is in the catalogue.
VARIANTS: tuple[tuple[str, str], ...] = (
    ("bio", "1.35"), ("lot de 2", "1.85"), ("format familial", "1.60"),
)

# (name, postcode, town): codes, SIREN and VAT numbers are generated.
SUPPLIERS: tuple[tuple[str, str, str], ...] = (
    ("Les Vergers du Val de Loire", "49000", "Angers"),
    ("Primeurs Rungis Service", "94150", "Chevilly-Larue"),
    ("Fournil Saint-Martin", "37000", "Tours"), ("Laiterie des Monts d'Arrée", "29600", "Morlaix"),
    ("Fromagerie Baud et Fils", "39800", "Poligny"),
    ("Comptoir Alimentaire de l'Ouest", "44000", "Nantes"),
    ("Conserverie Belle-Île", "56170", "Quiberon"),
    ("Douceurs de Provence SARL", "84200", "Carpentras"),
    ("Boissons Distribution Centre", "45000", "Orléans"),
    ("Cave des Coteaux du Rhône", "26600", "Tain-l'Hermitage"),
    ("Brasserie du Vieux Lille", "59000", "Lille"), ("Froid Service Surgelés", "35000", "Rennes"),
    ("Hygiène Plus Distribution", "69007", "Lyon"),
    ("Droguerie Moderne", "63000", "Clermont-Ferrand"),
    ("Bazar Import Europe", "13015", "Marseille"),
)
FIRST_NAMES: tuple[str, ...] = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Claire",
    "Nathalie", "Isabelle", "Sophie", "Aïcha", "Fatou", "Lucas", "Hugo", "Thomas", "Nicolas",
    "Julien", "Karim", "Mehdi", "Pierre", "Antoine", "Mathieu", "Olivier", "Philippe", "Yann",
    "Mamadou", "Théo", "Bernard", "Jacqueline", "Monique", "Gérard", "Hélène", "Élodie",
)
LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Benali",
    "Diallo", "Nguyen", "Le Gall", "Kerbrat",
)
BUSINESSES: tuple[str, ...] = (
    "Restaurant Le Petit Zinc", "Café de la Gare", "Association Les Amis du Quartier",
    "Crèche Les Lutins", "Hôtel du Commerce", "Boulangerie Pâtisserie Lemoine",
    "Cabinet médical des Tilleuls", "École de musique Allegro", "Garage Central Auto",
    "Salon de coiffure L'Atelier", "Pizzeria Bella Napoli", "Camping Les Pins",
    "Traiteur Saveurs d'Ici", "Mairie annexe (régie)",
)
STREETS: tuple[str, ...] = (
    "rue de la République", "avenue Jean-Jaurès", "rue Victor-Hugo", "place du Marché",
    "boulevard Gambetta", "rue des Lilas", "impasse des Tilleuls", "rue Pasteur",
    "chemin des Vignes", "rue de la Gare", "allée des Peupliers", "quai des Bateliers",
)
CITIES: tuple[tuple[str, str], ...] = (
    ("75011", "Paris"), ("69003", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse"),
    ("44000", "Nantes"), ("35000", "Rennes"), ("59000", "Lille"), ("67000", "Strasbourg"),
    ("33000", "Bordeaux"), ("37000", "Tours"), ("49000", "Angers"), ("21000", "Dijon"),
)
CASHIERS: tuple[str, ...] = (
    "Julie", "Karim", "Sophie", "Mamadou",
)
RETURN_REASONS: tuple[str, ...] = (
    "Produit défectueux", "Erreur de caisse", "Date de consommation dépassée", "Article abîmé",
    "Changement d'avis du client",
)
# fmt: on
